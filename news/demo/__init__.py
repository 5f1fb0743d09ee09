"""The demo newsroom that `manage.py load_demo` loads.

captured: the newsroom file (`al-qaim.json`, the captured story page): checked, then
written in one transaction.
"""

from news.demo.captured import DEMO_PATH, DemoFileError, load, read_file

__all__ = ["DEMO_PATH", "DemoFileError", "load", "read_file"]
