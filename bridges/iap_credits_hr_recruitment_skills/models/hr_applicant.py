# Part of iap_credits. See LICENSE file for full copyright and licensing details.

from odoo import Command, models

from odoo.addons.iap_credits_hr_recruitment.tools import resume_extract


class HrApplicant(models.Model):
    _inherit = "hr.applicant"

    def _digitization_found_labels(self):
        """Override of `iap_credits_hr_recruitment`: the chatter lists the skills added too."""
        return {**super()._digitization_found_labels(), "skills_added": self.env._("Skills added")}

    def _digitization_apply(self, values):
        """Override of `iap_credits_hr_recruitment`: also add the skills the CV names, among
        the existing skills, that the applicant does not have yet (never a new skill record,
        never a change to a skill already set).

        A skill is added at the default level of its type (the level stock Odoo proposes
        when a skill is chosen); skills of certification types, which need validity dates,
        and of types without levels are left out.

        :param dict values: the text read (``text``) and/or the skill names an external
            gateway found (``skills``); ``skills_added`` is set to the names added, for the chatter
        """
        res = super()._digitization_apply(values)
        skills = self._digitization_find_skills(values) - self.applicant_skill_ids.skill_id
        commands = []
        for skill in skills:
            levels = skill.skill_type_id.skill_level_ids
            level = levels.filtered("default_level")[:1] or levels.sorted("level_progress")[:1]
            if level and not skill.skill_type_id.is_certification:
                commands.append(
                    Command.create(
                        {"skill_id": skill.id, "skill_type_id": skill.skill_type_id.id, "skill_level_id": level.id}
                    )
                )
        if commands:
            self.write({"applicant_skill_ids": commands})
            # The values are those the chatter lists once the applicant is committed as digitized.
            added = self.env["hr.skill"].browse([command[2]["skill_id"] for command in commands])
            values["skills_added"] = ", ".join(added.mapped("name"))
        return res

    def _digitization_find_skills(self, values):
        """The existing skills whose name (in any installed language) the CV prints.

        :rtype: hr.skill recordset
        """
        text = values.get("text") if isinstance(values.get("text"), str) else ""
        named = values.get("skills")
        if isinstance(named, list):  # an external gateway's list of skill names
            text = "\n".join([text, *(name for name in named if isinstance(name, str))])
        if not text.strip():
            return self.env["hr.skill"]
        skills = self.env["hr.skill"].search([("skill_type_id.active", "=", True)])
        names = {skill.id: {skill.name} for skill in skills}
        for code, _name in self.env["res.lang"].get_installed():
            for skill in skills.with_context(lang=code):
                names[skill.id].add(skill.name)
        return self.env["hr.skill"].browse(resume_extract.find_skills(text, names))
