"""Data Docs page views that compile GE's Jinja templates once per process, not per page.

Every Data Docs build (``gx_runner.build_data_docs``) makes a new site builder, whose
views each make a new Jinja environment, and an environment caches only the templates it
compiled itself. So every page rendered compiled GE's templates again: about 50
compilations a checkpoint,
some 60 % of a checkpoint's time. These views give their environment a bytecode cache
shared by the process. The pages are unchanged: Jinja still reads each template's source,
and uses the cached code only when the source's checksum matches the one it was made from.

`expectations/gx/great_expectations.yml` selects these views for every section of the site
and for its index.
"""

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory, keyed by template name and source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # dropped by Jinja if the checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


BYTECODE_CACHE = _ProcessBytecodeCache()


class _ProcessCompiled:
    """Gives a GE view's Jinja environment the process's compiled templates."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = BYTECODE_CACHE


class CachedJinjaPageView(_ProcessCompiled, DefaultJinjaPageView):
    """GE's page view, with the process's compiled templates."""


class CachedJinjaIndexPageView(_ProcessCompiled, DefaultJinjaIndexPageView):
    """GE's index page view, with the process's compiled templates."""
