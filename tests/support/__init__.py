"""Helpers shared by test packages (external servers, fixtures' building blocks); no tests here."""
