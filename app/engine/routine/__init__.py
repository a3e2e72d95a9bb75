"""Routine protection: schedules through the OS's own scheduler, keep rules, run records, unattended passwords."""
