"""The webhooks' admin: endpoints (with why one was disabled), and deliveries with their
log of attempts, which an administrator can replay."""

from django.contrib import admin, messages

from config.webhooks import tasks
from config.webhooks.models import Attempt, Delivery, Endpoint, Event


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "is_active", "consecutive_failures", "disabled_reason"]
    list_filter = ["is_active"]
    search_fields = ["url", "owner__username"]
    readonly_fields = ["secret", "consecutive_failures", "disabled_at", "disabled_reason"]
    raw_id_fields = ["owner"]
    actions = ["turn_on"]

    @admin.action(description="Turn on again (restart the failure count)")
    def turn_on(self, request, queryset):
        for endpoint in queryset:
            endpoint.enable()
            endpoint.save()


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Attempt._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event__type"]
    search_fields = ["event__message_id", "endpoint__url", "event__subject"]
    readonly_fields = ["event", "endpoint", "status", "attempts", "next_attempt_at",
                       "last_status_code"]  # fmt: skip
    inlines = [AttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Replay (send again now, same webhook-id)")
    def replay(self, request, queryset):
        for delivery in queryset:
            tasks.replay(delivery)
        messages.success(request, f"Replaying {queryset.count()} deliveries.")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["type", "subject", "message_id", "created_at"]
    list_filter = ["type"]
    search_fields = ["message_id", "subject"]
    readonly_fields = ["message_id", "type", "subject", "data", "once_key", "created_at"]
