"""Static figures for the chapters, one module per topic; each function returns a displayable figure."""
