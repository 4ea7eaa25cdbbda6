// Round trip of every dsv2 op, type and attribute: parse, print, parse again.
