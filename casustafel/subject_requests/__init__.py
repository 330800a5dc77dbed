"""Data-subject requests (AVG rights): register, find the subject's signals, referrals and log
entries, decide on a restriction (art. 41 UAVG), export the answer package, close.

An open request puts the signals found on legal hold (retention skips them).
"""
