from django.db import models


class SignInLink(models.Model):
    """A one-time sign-in link sent by e-mail. Only the SHA-256 of its token is stored, so the
    table cannot be used to sign in; ``used_at`` makes it single use."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-in link for {self.email}"


class ShopperEmail(models.Model):
    """Every e-mail the portal sent a shopper. ``key`` names what it was about (``receipt:12``,
    ``refund:5:REFUNDED``): unique, so a retried task never sends one twice."""

    key = models.CharField(max_length=100, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.key} → {self.to}"
