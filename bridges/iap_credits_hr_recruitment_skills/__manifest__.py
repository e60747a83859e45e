# Part of iap_credits. See LICENSE file for full copyright and licensing details.
{
    "name": "IAP Credits - Recruitment Skills (CV digitization)",
    "version": "19.0.1.0.0",
    "category": "Human Resources/Recruitment",
    "summary": "Digitize CV also adds to the applicant the skills the CV names, among the existing skills",
    "author": "iap_credits contributors",
    "maintainers": ["iap-credits"],
    "website": "https://github.com/iap-credits/iap_credits",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["iap_credits_hr_recruitment", "hr_recruitment_skills"],
    "auto_install": True,
}
