from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from .models import (
    CCG,
    AreaTeam,
    Cycle,
    Deadline,
    OutboxMessage,
    Proposal,
    ProposalCondition,
    ProposalPartner,
    ProposalTransition,
    Region,
    SweepRun,
    User,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(AreaTeam)
class AreaTeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(CCG)
class CCGAdmin(admin.ModelAdmin):
    list_display = [
        "ods_code",
        "name",
        "area_team",
        "registered_population",
        "imd2015_score",
        "in_special_measures",
    ]
    list_filter = ["in_special_measures", "area_team__region", "area_team"]
    search_fields = ["ods_code", "ons_code", "name"]
    list_select_related = ["area_team"]
    # Codes, names and figures come from the published reference files; only the
    # special-measures flag is ours to set.
    readonly_fields = [
        "ods_code",
        "ons_code",
        "name",
        "area_team",
        "registered_population",
        "imd2015_score",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on"]
    inlines = [DeadlineInline]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["cycle", "event", "model", "due_at", "description"]
    list_filter = ["cycle", "event", "model"]
    list_select_related = ["cycle"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransitionInline(admin.TabularInline):
    model = ProposalTransition
    fields = ["at", "name", "from_state", "to_state", "actor_name", "actor_role", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartnerInline(admin.TabularInline):
    model = ProposalPartner
    fields = ["ccg", "agreed_at", "agreed_by", "governing_body_agreed_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ConditionInline(PartnerInline):
    model = ProposalCondition
    fields = ["text", "set_by", "set_at", "met_at", "met_by", "met_note"]
    readonly_fields = fields


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    """Proposals change only through the workflow, so the admin shows them read-only."""

    list_display = ["reference", "ccg", "model", "cycle", "state", "version", "updated_at"]
    list_filter = ["cycle", "model", "state", "ccg__area_team__region"]
    search_fields = ["reference", "ccg__name", "ccg__ods_code"]
    list_select_related = ["ccg", "cycle"]
    inlines = [PartnerInline, ConditionInline, TransitionInline]


@admin.register(ProposalTransition)
class ProposalTransitionAdmin(ReadOnlyAdmin):
    list_display = ["at", "proposal", "name", "from_state", "to_state", "actor_name", "actor_role"]
    list_filter = ["name", "to_state", "actor_role"]
    search_fields = ["proposal__reference", "actor_name", "reason"]
    list_select_related = ["proposal__ccg", "proposal__cycle"]
    date_hierarchy = "at"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "organisation_label",
        "is_active",
    ]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["ccg", "area_team", "region"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Role and organisation", {"fields": ["role", "ccg", "area_team", "region"]}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Role and organisation", {"fields": ["email", "role", "ccg", "area_team", "region"]}),
    )
    autocomplete_fields = ["ccg"]


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    """The scheduler's health at a glance: upcoming deadlines, the last sweeps and what they
    did, anything that failed, and emails still waiting in the outbox."""

    list_display = ["started_at", "finished_at", "summary", "failed"]
    readonly_fields = ["started_at", "finished_at", "actions", "failures"]
    change_list_template = "admin/applications/sweeprun/change_list.html"

    @admin.display(description="what it did")
    def summary(self, run: SweepRun) -> str:
        counts = (run.actions or {}).get("counts", {})
        return ", ".join(f"{action}: {n}" for action, n in counts.items()) or "nothing due"

    @admin.display(boolean=True, description="failures")
    def failed(self, run: SweepRun) -> bool:
        return bool(run.failures) or run.finished_at is None

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        extra_context = {
            **(extra_context or {}),
            "upcoming_deadlines": Deadline.objects.filter(due_at__gte=now)
            .select_related("cycle")
            .order_by("due_at")[:10],
            "last_run": SweepRun.objects.order_by("-started_at").first(),
            "failed_runs": SweepRun.objects.exclude(failures=[]).order_by("-started_at")[:5],
            "outbox_pending": OutboxMessage.objects.filter(sent_at__isnull=True).count(),
            "outbox_failing": OutboxMessage.objects.filter(sent_at__isnull=True)
            .exclude(last_error="")
            .order_by("-next_attempt_at")[:10],
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "dedupe_key", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedupe_key"]
    actions = ["retry_now"]

    @admin.action(description="Retry the selected messages at the next relay")
    def retry_now(self, request, queryset):
        # The only change allowed here: bring a failing message's next attempt forward.
        count = queryset.filter(sent_at__isnull=True).update(
            next_attempt_at=timezone.now(), attempts=0
        )
        self.message_user(request, f"{count} message(s) will be retried within a minute.")
