package infra

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// invokeModes are the Function URL choices of both deploy files, and the
// FRONTBASE_LAMBDA_STREAMING each must give the edge function: the engine
// streams exactly when the URL reads streamed responses.
var invokeModes = map[string]string{"none": "off", "BUFFERED": "off", "RESPONSE_STREAM": "on"}

// cfnEval resolves the intrinsic functions the Function URL wiring uses
// (Ref to a parameter, Fn::Equals, Fn::Not, Fn::If on a condition) for one
// set of parameter values; anything else is returned as it is.
type cfnEval struct {
	params     map[string]any
	conditions map[string]any
}

func (e cfnEval) value(v any) any {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v
	}
	switch {
	case m["Ref"] != nil:
		if p, ok := e.params[m["Ref"].(string)]; ok {
			return p
		}
	case m["Fn::Equals"] != nil:
		args, _ := m["Fn::Equals"].([]any)
		return len(args) == 2 && fmt.Sprint(e.value(args[0])) == fmt.Sprint(e.value(args[1]))
	case m["Fn::Not"] != nil:
		args, _ := m["Fn::Not"].([]any)
		b, _ := e.value(args[0]).(bool)
		return len(args) == 1 && !b
	case m["Fn::If"] != nil:
		args, _ := m["Fn::If"].([]any)
		if len(args) == 3 {
			if e.cond(args[0].(string)) {
				return e.value(args[1])
			}
			return e.value(args[2])
		}
	}
	return v
}

func (e cfnEval) cond(name string) bool {
	b, _ := e.value(e.conditions[name]).(bool)
	return b
}

// checkFunctionURL checks the Function URL resources of a template (SAM's
// or the one serverless packages) as deployed with mode, fn being the edge
// function's logical id.
func checkFunctionURL(t *testing.T, resources map[string]any, ev cfnEval, fn, mode string) {
	t.Helper()
	url, perms := "", map[string]map[string]any{}
	for id, r := range resources {
		if c, ok := get(r, "Condition").(string); ok && !ev.cond(c) {
			continue // not deployed with this mode
		}
		p, _ := get(r, "Properties").(map[string]any)
		switch get(r, "Type") {
		case "AWS::Lambda::Url":
			if url != "" {
				t.Errorf("%s: two Function URLs", mode)
			}
			url = id
			if fmt.Sprint(p["TargetFunctionArn"]) != fmt.Sprint(map[string]any{"Fn::GetAtt": fn + ".Arn"}) && fmt.Sprint(p["TargetFunctionArn"]) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{fn, "Arn"}}) {
				t.Errorf("%s: %s targets %v, want %s", mode, id, p["TargetFunctionArn"], fn)
			}
			if p["AuthType"] != "NONE" || ev.value(p["InvokeMode"]) != mode {
				t.Errorf("%s: %s AuthType %v InvokeMode %v", mode, id, p["AuthType"], ev.value(p["InvokeMode"]))
			}
		case "AWS::Lambda::Permission":
			if fmt.Sprint(p["FunctionName"]) == fmt.Sprint(map[string]any{"Ref": fn}) && p["Principal"] == "*" {
				perms[fmt.Sprint(p["Action"])] = p
			}
		}
	}
	if (url != "") != (mode != "none") {
		t.Fatalf("%s: Function URL %q", mode, url)
	}
	if url == "" {
		if len(perms) > 0 {
			t.Errorf("none: public permissions %v without a URL", perms)
		}
		return
	}
	// A public URL needs both grants: invoking the URL, and invoking the
	// function through it.
	if p := perms["lambda:InvokeFunctionUrl"]; p == nil || p["FunctionUrlAuthType"] != "NONE" {
		t.Errorf("%s: lambda:InvokeFunctionUrl grant %v, want one for auth type NONE", mode, p)
	}
	if p := perms["lambda:InvokeFunction"]; p == nil || fmt.Sprint(p["InvokedViaFunctionUrl"]) != "true" {
		t.Errorf("%s: lambda:InvokeFunction grant %v, want one limited to the Function URL", mode, p)
	}
}

func TestSAMFunctionURL(t *testing.T) {
	tpl := loadYAML(t, filepath.Join(root, "template.yaml"))
	param := get(tpl, "Parameters", "FunctionUrl")
	allowed, _ := get(param, "AllowedValues").([]any)
	var modes []string
	for _, a := range allowed {
		modes = append(modes, fmt.Sprint(a))
	}
	slices.Sort(modes)
	if get(param, "Default") != "none" || !slices.Equal(modes, []string{"BUFFERED", "RESPONSE_STREAM", "none"}) {
		t.Fatalf("parameter FunctionUrl %v, want none (default), RESPONSE_STREAM, BUFFERED", param)
	}
	resources, _ := tpl["Resources"].(map[string]any)
	conditions, _ := tpl["Conditions"].(map[string]any)
	for id, r := range resources {
		if c, ok := get(r, "Condition").(string); ok && conditions[c] == nil {
			t.Errorf("%s: condition %s is not defined", id, c)
		}
	}
	for mode, streaming := range invokeModes {
		ev := cfnEval{params: map[string]any{"FunctionUrl": mode}, conditions: conditions}
		checkFunctionURL(t, resources, ev, "EdgeFunction", mode)
		env := get(tpl, "Globals", "Function", "Environment", "Variables", "FRONTBASE_LAMBDA_STREAMING")
		if v := get(resources, "EdgeFunction", "Properties", "Environment", "Variables", "FRONTBASE_LAMBDA_STREAMING"); v != nil {
			env = v
		}
		if got := ev.value(env); got != streaming {
			t.Errorf("FunctionUrl=%s: FRONTBASE_LAMBDA_STREAMING %v, want %s", mode, got, streaming)
		}
		out := get(tpl, "Outputs", "SiteFunctionUrl")
		if c, _ := get(out, "Condition").(string); (mode != "none") != (c != "" && ev.cond(c)) ||
			fmt.Sprint(get(out, "Value")) != fmt.Sprint(map[string]any{"Fn::GetAtt": "EdgeFunctionUrl.FunctionUrl"}) {
			t.Errorf("FunctionUrl=%s: output SiteFunctionUrl %v", mode, out)
		}
	}
}

// TestServerlessFunctionURL packages serverless.yml with each
// FRONTBASE_LAMBDA_FUNCTION_URL and checks the CloudFormation it makes.
func TestServerlessFunctionURL(t *testing.T) {
	sls, _ := filepath.Abs(filepath.Join(root, ".deps", "node_modules", ".bin", "serverless"))
	if _, err := os.Stat(sls); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (scripts/deps.sh installs it)", sls)
		}
		t.Skipf("%s is missing (scripts/deps.sh installs it)", sls)
	}
	proj := t.TempDir()
	yml, err := os.ReadFile(filepath.Join(root, "serverless.yml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(proj, "serverless.yml"), yml, 0o644)
	// Packaging only names the zips: a stand-in bootstrap will do.
	os.MkdirAll(filepath.Join(proj, "bin", "lambda"), 0o755)
	for _, fn := range []string{"edge", "flush"} {
		f, _ := os.Create(filepath.Join(proj, "bin", "lambda", fn+"-arm64.zip"))
		zw := zip.NewWriter(f)
		w, _ := zw.Create("bootstrap")
		w.Write([]byte("#!/bin/sh\n"))
		zw.Close()
		f.Close()
	}
	pkg := func(mode string) (map[string]any, []byte, error) {
		cmd := exec.Command(sls, "package", "--stage", "prod", "--region", "eu-west-1")
		cmd.Dir = proj
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SLS_TELEMETRY_DISABLED=1", "SLS_NOTIFICATIONS_MODE=off",
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "FRONTBASE_STATE_DB_URL=libsql://db-org.turso.io"}
		if mode != "" {
			cmd.Env = append(cmd.Env, "FRONTBASE_LAMBDA_FUNCTION_URL="+mode)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, out, err
		}
		raw, err := os.ReadFile(filepath.Join(proj, ".serverless", "cloudformation-template-update-stack.json"))
		if err != nil {
			return nil, out, err
		}
		var cfn map[string]any
		return cfn, out, json.Unmarshal(raw, &cfn)
	}
	// Each packaging takes a while: the default (unset, none) and the two
	// modes; an explicit none resolves as the default does.
	for _, mode := range []string{"", "BUFFERED", "RESPONSE_STREAM"} {
		cfn, out, err := pkg(mode)
		if err != nil {
			t.Fatalf("FRONTBASE_LAMBDA_FUNCTION_URL=%q: serverless package: %v\n%s", mode, err, out)
		}
		want := mode
		if want == "" {
			want = "none"
		}
		resources, _ := cfn["Resources"].(map[string]any)
		conditions, _ := cfn["Conditions"].(map[string]any)
		checkFunctionURL(t, resources, cfnEval{conditions: conditions}, "EdgeLambdaFunction", want)
		if got := get(resources, "EdgeLambdaFunction", "Properties", "Environment", "Variables", "FRONTBASE_LAMBDA_STREAMING"); got != invokeModes[want] {
			t.Errorf("FRONTBASE_LAMBDA_FUNCTION_URL=%q: edge FRONTBASE_LAMBDA_STREAMING %v, want %s", mode, got, invokeModes[want])
		}
		if got := get(resources, "FlushLambdaFunction", "Properties", "Environment", "Variables", "FRONTBASE_LAMBDA_STREAMING"); got != nil {
			t.Errorf("the flush function gets FRONTBASE_LAMBDA_STREAMING=%v", got)
		}
		if out := get(cfn, "Outputs", "SiteFunctionUrl"); (out != nil && cfnEval{conditions: conditions}.cond(fmt.Sprint(get(out, "Condition")))) != (want != "none") {
			t.Errorf("FRONTBASE_LAMBDA_FUNCTION_URL=%q: output SiteFunctionUrl %v", mode, out)
		}
	}
	// A mode AWS does not know fails at packaging, not at deploy.
	if _, out, err := pkg("STREAM"); err == nil || !strings.Contains(string(out), "FRONTBASE_LAMBDA_STREAMING") {
		t.Errorf("FRONTBASE_LAMBDA_FUNCTION_URL=STREAM: %v, want packaging to fail naming FRONTBASE_LAMBDA_STREAMING\n%s", err, out)
	}
}
