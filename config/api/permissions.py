"""Who may call what: anyone reads, only editors write content, and what readers see
only an editor changes (config.workflow)."""

from rest_framework import permissions

from config import workflow


class EditorsWriteOthersRead(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writing needs the model permission (the Editors group has it)."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)


class ReviewedWrites(permissions.BasePermission):
    """A story or question readers see (published, resolved, annulled) is changed only by
    an editor: a reporter's change to it would skip review (config.workflow.may_edit)."""

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS or workflow.may_edit(request.user, obj):
            return True
        self.message = (
            f"Only an editor can change a {obj._meta.verbose_name} that readers can see; "
            "ask one, or work on a draft."
        )
        return False
