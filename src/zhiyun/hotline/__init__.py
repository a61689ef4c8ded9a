"""The call-taking seat (受理坐席): a hotline agent registers a call while it runs, sees the
caller's history, gets the category, the responsible unit and possible duplicates as they
type, and ends the call closed (即时办结), dispatched (派单) or parked (暂存)."""
