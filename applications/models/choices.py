from django.db import models


class CommissioningModel(models.TextChoices):
    """The three co-commissioning models, in the order a CCG may move up through them."""

    GREATER_INVOLVEMENT = "greater_involvement", "Greater involvement"
    JOINT = "joint", "Joint commissioning"
    DELEGATED = "delegated", "Delegated commissioning"

    @classmethod
    def level(cls, value: str) -> int:
        return [choice.value for choice in cls].index(value) + 1


REVIEWED_MODELS = (CommissioningModel.JOINT, CommissioningModel.DELEGATED)
