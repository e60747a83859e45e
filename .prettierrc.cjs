// prettier, as in OCA's addons template (run by `make lint`, see .pre-commit-config.yaml).
// The plugin comes from the node_modules dev/setup.sh installs (NODE_PATH, set by dev/lint.sh).
// XML keeps its whitespace exactly ("strict", OCA's setting up to 17.0): the text of views,
// QWeb and mail templates, and so their translation terms, never change with formatting.
/** @type {import('prettier').Config} */
const config = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    bracketSpacing: false,
    printWidth: 88,
    proseWrap: "always",
    semi: true,
    trailingComma: "es5",
    xmlWhitespaceSensitivity: "strict",
    // Odoo's own indentation in XML and JavaScript; YAML and JSON keep prettier's 2 spaces.
    overrides: [{files: ["*.xml", "*.js"], options: {tabWidth: 4}}],
};

module.exports = config;
