"""Who may call what: anyone reads, only editors write content."""

from rest_framework import permissions


class EditorsWriteOthersRead(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writing needs the model permission (the Editors group has it)."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)
