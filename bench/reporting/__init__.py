"""reporting: the pieces of bench/report.py, one concern per module.

catalog  what the suite measures and the targets (names, sizes, labels)
measure  the measurements as read: benchmark JSON, PyTorch, thread scaling, instruction counts
machine  what the machine and the build are: CPU, detected features, native instructions built in
verify   checkasm's bit-exact verification and its section
explain  verdicts, and explanations of missed targets derived from the measurements
tables   the Markdown tables of rates and ratios
sections the report's sections, put together
plots    throughput.png and scaling.png
"""
