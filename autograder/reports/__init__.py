"""What a graded assignment becomes for people: result files, the class report, feedback pages.

- :mod:`.results` - the per-student result JSON and ``grades.csv`` (written by ``grade``);
- :mod:`.analysis` - reading the result files, and the item analysis;
- :mod:`.report` - ``python -m autograder report``: the class page, plots and ``items.csv``;
- :mod:`.feedback` - ``python -m autograder feedback``: a page per student, hidden tests never shown;
- :mod:`.nbgrader_feedback` - the same rules for nbgrader's own ``generate_feedback``;
- :mod:`.hand_grades` - the instructor's manual scores from the gradebook, for the pages;
- :mod:`.pages` - the strict Content-Security-Policy head of every page;
- :mod:`.misconceptions` - the curated table of misconception tags (one module per assignment).
"""
