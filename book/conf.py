"""Sphinx configuration of the course website (``python -m calcml.book`` passes ``-c book``).

Everything the pages load is local: the theme's own assets, MathJax 3 copied from the npm package
into ``_static/mathjax``, and the small script that drives the precomputed widget frames.
"""

project = "Calculus for Machine Learning"
author = "The Calculus for Machine Learning authors"
copyright = "2026, " + author

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints"]

# The notebooks arrive already executed (calcml.book runs them with its widget hook).
nb_execution_mode = "off"
# No ipywidgets scripts from a CDN: widget views are replaced by static HTML before Sphinx runs.
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

# MathJax 3 served from the site itself (relative paths are relative to _static/).
mathjax_path = "mathjax/tex-chtml.js"
# Notebook outputs (quiz prompts, tables made in code) write maths as $...$ in raw HTML: let
# MathJax typeset those delimiters too (code and <pre> blocks are skipped by MathJax anyway).
mathjax3_config = {
    "tex": {
        "inlineMath": [["\\(", "\\)"], ["$", "$"]],
        "displayMath": [["\\[", "\\]"], ["$$", "$$"]],
        "processEscapes": True,
    },
    # myst marks the page mathjax_ignore and lists what to typeset; it would overwrite this list,
    # hence myst_update_mathjax = False. Added to its list: HTML outputs (text_html).
    "options": {
        "ignoreHtmlClass": "tex2jax_ignore|mathjax_ignore|document",
        "processHtmlClass": "tex2jax_process|mathjax_process|math|output_area|text_html",
        # MathJax's menu puts every formula in the tab order by default (tabindex="0"): on the
        # derivatives page 43 of the first 60 Tab presses landed on formulas before any control.
        # Screen readers still read each formula (MathJax's assistive MathML); the menu stays on
        # the right mouse button.
        "menuOptions": {"settings": {"inTabOrder": False}},
    },
}
myst_update_mathjax = False

html_theme = "sphinx_book_theme"
html_title = "Calculus for Machine Learning"
html_static_path = ["_static"]
# search-button-field.html: the theme's search button with an accessible name that matches its text
templates_path = ["_templates"]
html_css_files = ["calcml-book.css"]
html_js_files = ["calcml-frames.js"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": True,
}
