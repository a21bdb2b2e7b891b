"""Offline commands: synth (run the program under mocks), and the checks built on it."""
