/** The nightshift version reported by the API and the CLI (kept in step with package.json by a test). */
export const VERSION = '0.1.0';
