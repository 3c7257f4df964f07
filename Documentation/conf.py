# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of the prototype-kernel-rs documentation.
#
#   make -C Documentation html     (or `make html` at the top)
#
# Sphinx is Debian's python3-sphinx, which scripts/setup-host.sh installs;
# the theme is alabaster, which that package depends on.

project = 'prototype-kernel-rs'
author = 'prototype-kernel-rs developers'
copyright = 'prototype-kernel-rs developers; GPL-2.0'

extensions = []

root_doc = 'index'
source_suffix = '.rst'
language = 'en'

# reports/generated.rst (and what it includes) is written by the report
# generator and pulled into reports/index.rst with `.. include::`: it is a
# fragment, not a page of its own.
exclude_patterns = [
    '_build',
    'reports/generated.rst',
    'reports/generated-*.rst',
    'reports/*.inc',
]

# Literal blocks (`::`) are shown as they are; code blocks name their
# language.
highlight_language = 'none'
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_title = 'prototype-kernel-rs documentation'
html_theme_options = {
    'description': 'XDP and page_pool kernel modules in Rust',
    'fixed_sidebar': True,
    'page_width': '1100px',
    'sidebar_width': '240px',
}
html_show_sourcelink = False
