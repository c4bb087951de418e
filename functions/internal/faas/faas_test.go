package faas

import "testing"

func TestGetenvDefaultsTheDatabaseToTmp(t *testing.T) {
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", "")
	if Getenv("FRONTBASE_LOCAL_DB_PATH") != TmpDBPath {
		t.Errorf("default %q", Getenv("FRONTBASE_LOCAL_DB_PATH"))
	}
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", "/mnt/efs/pages.db")
	if Getenv("FRONTBASE_LOCAL_DB_PATH") != "/mnt/efs/pages.db" {
		t.Errorf("explicit path not kept")
	}
}
