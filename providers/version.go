package providers

// Version is unikyc's version, sent in the User-Agent of every request.
const Version = "0.2.0-dev"
