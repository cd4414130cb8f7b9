"""Turn a distillation checkpoint into a plain mmdet checkpoint of the
student (mmrazor_amd.tools.export_student).

    python scripts/export_student.py work_dirs/RUN/epoch_24.pth student.pth
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd.tools.export_student import main

if __name__ == '__main__':
    main()
