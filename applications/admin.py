from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import (
    CCG,
    AreaTeam,
    Cycle,
    Deadline,
    Proposal,
    ProposalCondition,
    ProposalPartner,
    ProposalTransition,
    Region,
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
