"""The project's tools, by purpose; each runs from the repository root as
`python -m scripts.<package>.<module>` (the kiosk itself is the `kiosk` package)."""
