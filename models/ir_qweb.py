# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from lxml import etree

from odoo import models

# Context key holding a :class:`QwebCompileMemo` for the duration of one batch rendering.
QWEB_COMPILE_MEMO = "iap_credits_qweb_compile_memo"


class QwebCompileMemo:
    """The templates compiled during one batch rendering, by source and compilation keys.

    An object rather than a dict so that comparing two contexts holding it (the ORM does
    so whenever it looks up an environment) compares identities, not its contents.
    """

    __slots__ = ("compiled",)

    def __init__(self):
        self.compiled = {}


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """Override of `base` to compile an inline template once per batch, when asked to.

        `mail` renders a template whose body is source text (``mail.template.body_html``)
        by handing ``ir.qweb`` a new etree for each record, and ``ir.qweb`` caches the
        compiled code of views only: the body is compiled again for every record, about
        nine tenths of the cost of rendering it. When the context holds a
        :class:`QwebCompileMemo` (the low-credit alert job sets one around its batch
        rendering; nothing else does), the compiled functions of an etree are kept in it,
        keyed by the etree's source and the context keys that ``ir.qweb`` itself keys its
        cache with (language, restricted mode, ...), so the same source is compiled once
        per batch. Without the key, the stock behaviour is unchanged.
        """
        memo = self.env.context.get(QWEB_COMPILE_MEMO)
        if not isinstance(memo, QwebCompileMemo) or not isinstance(template, etree._Element):
            return super()._compile(template)
        key = (
            etree.tostring(template),
            tuple(self.env.context.get(key) or False for key in self._get_template_cache_keys()),
        )
        compiled = memo.compiled.get(key)
        if compiled is None:
            compiled = memo.compiled[key] = super()._compile(template)
        return compiled
