"""Interactive widgets used by the chapters. Each module offers a one-line constructor."""
