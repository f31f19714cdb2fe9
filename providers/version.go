package providers

// Version is this module's version, semver without the "v": the
// User-Agent sent to providers and `unikyc --version` read it. Between
// releases it carries a "-dev" suffix. See CHANGELOG.md.
const Version = "0.3.0-dev"
