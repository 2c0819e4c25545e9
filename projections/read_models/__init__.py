"""What people read: scorecard views, traces, rankings, progress and gaps."""
