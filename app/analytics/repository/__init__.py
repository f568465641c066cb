"""All of analytics' SQL, by concept: the local-time expressions (`localtime`), the declared
sources of the group-by (`sources`), the group-by itself (`grouping`), order flow
(`flow`), customers (`customers`) and inventory (`inventory`)."""
