# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""The developer commands the README documents, run as a developer runs them: `make odoo`
with Odoo sub-commands, and the wheel pip installs (built, installed into a scratch
virtualenv, found by Odoo there)."""

import ast
import email.parser
import glob
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from odoo.tests.common import BaseCase, get_db_name

ROOT = Path(__file__).resolve().parent.parent
README_ODOO_COMMAND = re.compile(r"make odoo ARGS='([^']*)'")


def run(args, **kwargs):
    """Run ``args`` in the checkout; the completed process, its output as text."""
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False, **kwargs)


class TestMakeOdoo(BaseCase):
    """`make odoo ARGS='…'` is odoo-bin with this project's configuration, sub-commands included."""

    def make_odoo(self, args, stdin=None):
        result = run(["make", "--no-print-directory", "odoo", f"ARGS={args}"], input=stdin)
        self.assertEqual(result.returncode, 0, f"make odoo ARGS='{args}' failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def readme_commands(self):
        commands = README_ODOO_COMMAND.findall((ROOT / "README.md").read_text(encoding="utf-8"))
        self.assertTrue(commands, "the README documents `make odoo ARGS='…'`")
        return [shlex.split(command) for command in commands]

    def test_readme_shell_runs_a_script(self):
        """The README's `make odoo ARGS='shell -d …'`, on this database, with a script on stdin."""
        shell = [args for args in self.readme_commands() if args[0] == "shell"]
        self.assertTrue(shell, "the README documents `make odoo ARGS='shell -d <db>'`")
        args = shell[0]
        args[args.index("-d") + 1] = get_db_name()
        script = (
            "module = env['ir.module.module'].search([('name', '=', 'iap_credits')])\n"
            "print('iap_credits is', module.state, 'in', env.cr.dbname)\n"
        )
        output = self.make_odoo(shlex.join([*args, "--log-level=warn"]), stdin=script)
        self.assertIn(f"iap_credits is installed in {get_db_name()}", output)

    def test_options_and_sub_commands(self):
        self.assertRegex(self.make_odoo("--version"), r"Odoo Server 19\.0")
        # A sub-command that reads the configuration file: `-c` goes after it.
        self.assertIn("-c CONFIG", self.make_odoo("db --help"))
        # One that takes none: no `-c` at all.
        self.assertIn("shell", self.make_odoo("help"))

    def test_readme_commands_name_odoo_commands(self):
        """Every documented `make odoo` starts with an option or with a command odoo-bin knows."""
        known = set(re.findall(r"^\s{4}(\w+)\s", self.make_odoo("help"), re.MULTILINE))
        self.assertIn("shell", known)
        for args in self.readme_commands():
            with self.subTest(args=args):
                self.assertTrue(args[0].startswith("-") or args[0] in known, f"unknown odoo-bin command {args[0]}")


class TestWheel(BaseCase):
    """`make wheel` builds odoo-addon-iap_credits with whool; installed alone, Odoo finds it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tmp = tempfile.TemporaryDirectory(prefix="iap_credits_wheel_")
        cls.addClassCleanup(tmp.cleanup)
        cls.tmp = Path(tmp.name)
        result = run(["bash", "dev/wheel.sh", str(cls.tmp / "dist")])
        if result.returncode:
            raise AssertionError(f"make wheel failed:\n{result.stdout}\n{result.stderr}")
        cls.wheel = Path(result.stdout.split()[-1])
        # A scratch virtualenv, the wheel installed in it with pip, without its dependencies.
        cls.python = cls.tmp / "venv" / "bin" / "python"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", cls.tmp / "venv"], check=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", cls.python, "install", "--quiet", "--no-deps", cls.wheel],
            check=True,
            capture_output=True,
        )
        purelib = subprocess.run(
            [cls.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        cls.site = Path(purelib)
        cls.addon = cls.site / "odoo" / "addons" / "iap_credits"

    def test_metadata(self):
        version = ast.literal_eval((ROOT / "__manifest__.py").read_text(encoding="utf-8"))["version"]
        self.assertEqual(self.wheel.name, f"odoo_addon_iap_credits-{version}-py3-none-any.whl")
        (dist_info,) = self.site.glob("odoo_addon_iap_credits-*.dist-info")
        metadata = email.parser.HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
        self.assertEqual((metadata["Name"], metadata["Version"]), ("odoo-addon-iap_credits", version))
        self.assertEqual(metadata["License"], "LGPL-3")
        requires = set(metadata.get_all("Requires-Dist"))
        self.assertIn("odoo==19.0.*", requires)
        self.assertLessEqual({"phonenumbers", "twilio", "pytesseract", "pypdf"}, requires)
        self.assertIn("Development Status :: 4 - Beta", metadata.get_all("Classifier"))

    def test_files(self):
        """The addon's files, the data files the manifest loads included, and nothing else."""
        manifest = ast.literal_eval((self.addon / "__manifest__.py").read_text(encoding="utf-8"))
        for path in manifest["data"] + manifest["demo"]:
            with self.subTest(path=path):
                self.assertTrue((self.addon / path).is_file())
        for bundle, patterns in manifest["assets"].items():
            for pattern in patterns:
                with self.subTest(bundle=bundle, pattern=pattern):
                    self.assertTrue(glob.glob(str(self.site / "odoo" / "addons" / pattern), recursive=True))
        for path in (
            "i18n/iap_credits.pot",
            "i18n/zh_CN.po",
            "static/description/view_my_services.png",
            "LICENSE",
            "README.md",
        ):
            with self.subTest(path=path):
                self.assertTrue((self.addon / path).is_file())
        tracked = set(run(["git", "ls-files", "-z"]).stdout.split("\0")) - {"", "pyproject.toml"}
        installed = {
            str(path.relative_to(self.addon))
            for path in self.addon.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts  # compiled by pip
        }
        self.assertEqual(installed, tracked)

    def test_odoo_finds_the_installed_addon(self):
        """From the scratch virtualenv, with only Odoo's own addons in the addons path."""
        script = (
            "from odoo.tools import config\n"
            "from odoo.modules import module\n"
            "config._parse_config(['--addons-path', sys.argv[1]])\n"
            "module.initialize_sys_path()\n"
            "print(module.get_module_path('iap_credits'))\n"
            "print(module.Manifest.for_addon('iap_credits')['name'])\n"
        )
        # Odoo and its requirements from this process's paths, after the scratch site-packages.
        pythonpath = os.pathsep.join(
            [os.environ["ODOO_SRC"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
        )
        result = subprocess.run(
            [self.python, "-c", f"import sys\n{script}", os.path.join(os.environ["ODOO_SRC"], "odoo", "addons")],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": pythonpath},
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [str(self.addon), "IAP Credits (local)"])
