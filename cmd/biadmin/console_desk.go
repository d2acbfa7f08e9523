package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/audit"
	"github.com/biadmin/biadmin/client/bulk"
	"github.com/biadmin/biadmin/config"
	"github.com/biadmin/biadmin/ui"
)

// deskFiles are the files the console keeps for the support desk under the
// state directory: the audit log every change is recorded in, the bulk
// actions' journals and the CSV exports of bulk plans.
type deskFiles struct {
	audit      *audit.Log
	journalDir string
	exportDir  string
}

// openDeskFiles opens the audit log. A console that cannot record its
// changes does not start, because biadmin promises that every change made
// from it is in the audit log.
func openDeskFiles(logger *slog.Logger) (*deskFiles, error) {
	path, err := audit.DefaultPath()
	if err != nil {
		return nil, fmt.Errorf("finding the state directory for the audit log: %w", err)
	}
	log, err := audit.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	journals, err := bulk.DefaultJournalDir()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("finding the directory for bulk journals: %w", err)
	}
	state, err := config.StateDir()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("finding the state directory for exports: %w", err)
	}
	logger.Info("desk files", "audit_log", path, "journals", journals)
	return &deskFiles{audit: log, journalDir: journals, exportDir: filepath.Join(state, "exports")}, nil
}

func (d *deskFiles) close() { d.audit.Close() }

// wrap records api's changes in the audit log under the profile's name.
func (d *deskFiles) wrap(api client.API, p ui.ProfileInfo) client.API {
	if api == nil {
		return nil
	}
	return audit.Wrap(api, d.audit, p.Name)
}

// apply points the console at the desk files and wraps every API it gets
// with the audit log: the one it starts on, and those that the profile
// picker, the realm switcher and the first-run screen build later.
func (d *deskFiles) apply(opts *ui.Options) {
	opts.AuditLogPath, opts.AuditLogErr = d.audit.Path(), d.audit.Err
	opts.BulkJournalDir, opts.ExportDir = d.journalDir, d.exportDir
	opts.API = d.wrap(opts.API, opts.Profile)
	if connect := opts.Connect; connect != nil {
		opts.Connect = func(ctx context.Context, name, realmID string) (client.API, ui.ProfileInfo, error) {
			api, info, err := connect(ctx, name, realmID)
			return d.wrap(api, info), info, err
		}
	}
	if fr := opts.FirstRun; fr != nil {
		wrapped := *fr
		if open := fr.Open; open != nil {
			wrapped.Open = func(ctx context.Context, p *config.Profile) (client.API, ui.ProfileInfo, error) {
				api, info, err := open(ctx, p)
				return d.wrap(api, info), info, err
			}
		}
		if start := fr.StartSandbox; start != nil {
			wrapped.StartSandbox = func(ctx context.Context) (client.API, ui.ProfileInfo, string, error) {
				api, info, url, err := start(ctx)
				return d.wrap(api, info), info, url, err
			}
		}
		opts.FirstRun = &wrapped
	}
}
