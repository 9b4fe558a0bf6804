"""Instance operations run from ``manage.py``: backup, restore and resetting a demo instance."""
