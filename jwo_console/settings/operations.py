"""Settings added by operations work (alerts, timeouts, limits …), imported last by base.py.

Put new settings here rather than in the concern modules, so that work splitting or moving those
modules does not collide with yours.
"""
