"""The one rule for the files a sandbox gets: what may be copied, how, and how much.

A submission folder may hold anything a file system can: FIFOs, sockets, device nodes, sparse or
huge files, trees too deep or too wide to walk by path, hard links to other people's files, names
that are not UTF-8, files nobody may read. Every scan and copy here therefore

- works relative to open folders (``dir_fd``) and never follows a symbolic link, at any depth;
- looks at an entry (``lstat``) before it opens it, opens regular files only, with ``O_NOFOLLOW |
  O_NONBLOCK`` (a file swapped for a FIFO in between cannot block), and checks again (``fstat``);
- reads a file at most up to the size it had when scanned, copies its data and leaves its holes
  as holes (a sparse file stays sparse), and writes copies with plain modes (0644, folders 0755);
- stops at the first problem and says what it is, naming the file, in one printable line.

The budget rule. A sandbox's disk quota (``--disk-quota``, 512 MiB by default, and
``WORKDIR_QUOTA_FILES`` files and folders) covers everything in its working folder: the files
copied in (the submission's own files plus the assignment's files from ``source/``) and whatever
its code writes. Copied files count by their length (``st_size``), holes included, so a sparse file
cannot smuggle in more than it is charged for; the disk watch then charges what the sandbox adds.
A submission whose files alone would not fit is refused before grading.

The kernel's folder and the verification's folder are filled by the same :func:`copy_into` from the
same plan (``autograded/<student>/<assignment>/`` minus its notebooks), so both see the same files.
"""

from autograder.files.copy import Plan, copy_folder, copy_into, overlay
from autograder.files.reading import (
    FILE_MODE,
    FOLDER_MODE,
    MAX_DEPTH,
    MAX_PATH_BYTES,
    MAX_TIMESTAMP_BYTES,
    Budget,
    Entry,
    FileProblem,
    Inventory,
    data_ranges,
    kind_problem,
    open_folder,
    open_regular,
    read_chunks,
    read_small_file,
    shown,
    size_text,
)
from autograder.files.scan import scan
from autograder.files.tree import remove_tree, walk_folders

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "MAX_DEPTH",
    "MAX_PATH_BYTES",
    "MAX_TIMESTAMP_BYTES",
    "Budget",
    "Entry",
    "FileProblem",
    "Inventory",
    "Plan",
    "copy_folder",
    "copy_into",
    "data_ranges",
    "kind_problem",
    "open_folder",
    "open_regular",
    "overlay",
    "read_chunks",
    "read_small_file",
    "remove_tree",
    "scan",
    "shown",
    "size_text",
    "walk_folders",
]
