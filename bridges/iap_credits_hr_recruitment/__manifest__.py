# Part of iap_credits. See LICENSE file for full copyright and licensing details.
{
    "name": "IAP Credits - Recruitment (CV digitization)",
    "version": "19.0.1.0.0",
    "category": "Human Resources/Recruitment",
    "summary": "Digitize CV on applicants: name, email, phone and LinkedIn read from the résumé, "
    "one local credit per document",
    "author": "iap_credits contributors",
    "maintainers": ["iap-credits"],
    "website": "https://github.com/iap-credits/iap_credits",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["iap_credits", "hr_recruitment"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "data/ir_config_parameter_data.xml",
        "views/hr_applicant_views.xml",
    ],
    "demo": [
        "demo/hr_applicant_demo.xml",
    ],
    "auto_install": True,
}
