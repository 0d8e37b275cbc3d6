"""Loads the demonstration data (idempotent) and prints who to sign in as."""

from django.core.management.base import BaseCommand

from contracts.demo import load_demo


class Command(BaseCommand):
    help = "Create demonstration organisations, people and contracts (does nothing if present)."

    def handle(self, *args, **options):
        result = load_demo()
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data is already there; nothing changed.")
        self.stdout.write("\nSign in as any of these people, all with the same password:")
        width = max(len(username) for username, _, _ in result.people)
        for username, role, where in result.people:
            self.stdout.write(f"  {username:<{width}}  {role}{f' – {where}' if where else ''}")
        self.stdout.write(f"\n  Password: {result.password}\n")
