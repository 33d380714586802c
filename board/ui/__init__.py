"""The Textual terminal UI of teamboard. Entry point: :func:`board.ui.app.run_ui`."""
