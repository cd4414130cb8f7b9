"""Turn a distillation checkpoint into a plain mmdet checkpoint of the
student (mmrazor_amd.tools.export_student).

    python scripts/export_student.py work_dirs/RUN/epoch_24.pth student.pth
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd.tools.export_student import main  # noqa: E402

if __name__ == '__main__':
    main()
