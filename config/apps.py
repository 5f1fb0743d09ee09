"""The admin, as the editors' desk (config.desk.DeskSite) instead of Django's plain site.

Only this AppConfig here: INSTALLED_APPS loads it before any model exists.
"""

from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    default_site = "config.desk.DeskSite"
