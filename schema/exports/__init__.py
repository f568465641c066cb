"""Bulk exports: `exportCreate`, `exportCancel`, `exportResume`, `exportJobs`, `exportJob`
and the `exportJobEvents` subscription (docs/architecture.md#exports)."""
