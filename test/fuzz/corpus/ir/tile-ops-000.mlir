// Round trip of every tile op, type and attribute, and of realistic kernels
// written in the dialect: parse, print, parse again (also in generic form).
