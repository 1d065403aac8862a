"""Awards of the Mark: issuing, the certificate, the badge, Open Badges, reminders before expiry."""
