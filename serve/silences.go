package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// silenceTimeout bounds one call to one Alertmanager.
const silenceTimeout = 10 * time.Second

// silencer mirrors acks as Alertmanager silences on every configured
// Alertmanager: POST /api/v2/silences when an ack is made, DELETE
// /api/v2/silence/{id} when it ends. Calls run off the main loop, each
// bounded; a failure is logged (the silence then ends by its endsAt, the
// ack's expiry). wait returns when every call has ended.
type silencer struct {
	ams    []string
	client *http.Client
	log    *slog.Logger
	ctx    context.Context
	wg     sync.WaitGroup
}

// amMatcher is one matcher of an Alertmanager v2 silence.
type amMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// amSilence is the body of POST /api/v2/silences.
type amSilence struct {
	Matchers  []amMatcher `json:"matchers"`
	StartsAt  time.Time   `json:"startsAt"`
	EndsAt    time.Time   `json:"endsAt"`
	CreatedBy string      `json:"createdBy"`
	Comment   string      `json:"comment"`
}

// silenceFor is the silence of an ack: the host's alerts of the names
// firing when it was made (any name when none fires yet), until the ack
// expires, by its owner, with its note.
func silenceFor(e ackEntry, names []string) amSilence {
	name := amMatcher{Name: "alertname", Value: ".+", IsRegex: true, IsEqual: true}
	if len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		name.Value = strings.Join(quoted, "|")
	}
	comment := e.Note
	if comment == "" {
		comment = "acknowledged in hvconsole"
	}
	return amSilence{
		Matchers: []amMatcher{{Name: "host", Value: e.Host, IsEqual: true}, name},
		StartsAt: e.Made, EndsAt: e.Expires, CreatedBy: e.Owner, Comment: comment,
	}
}

// create makes the ack's silence on every Alertmanager and hands done the
// IDs by Alertmanager URL (those that answered).
func (s *silencer) create(e ackEntry, names []string, done func(map[string]string)) {
	if len(s.ams) == 0 {
		return
	}
	body, err := json.Marshal(silenceFor(e, names))
	if err != nil {
		s.log.Error("silence", "host", e.Host, "err", err)
		return
	}
	s.wg.Go(func() {
		ids := map[string]string{}
		for _, am := range s.ams {
			id, err := s.post(am, body)
			if err != nil {
				s.log.Warn("silence not created", "alertmanager", am, "host", e.Host, "err", err)
				continue
			}
			s.log.Info("silence created", "alertmanager", am, "host", e.Host, "id", id)
			ids[am] = id
		}
		done(ids)
	})
}

func (s *silencer) post(am string, body []byte) (string, error) {
	ctx, cancel := context.WithTimeout(s.ctx, silenceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(am, "/")+"/api/v2/silences", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		ID string `json:"silenceID"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("no silenceID in the answer %q", data)
	}
	return out.ID, nil
}

// expire deletes silences by Alertmanager URL.
func (s *silencer) expire(ids map[string]string) {
	for am, id := range ids {
		s.wg.Go(func() {
			ctx, cancel := context.WithTimeout(s.ctx, silenceTimeout)
			defer cancel()
			u := strings.TrimRight(am, "/") + "/api/v2/silence/" + url.PathEscape(id)
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
			if err != nil {
				return
			}
			resp, err := s.client.Do(req)
			if err != nil {
				s.log.Warn("silence not deleted", "alertmanager", am, "id", id, "err", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				s.log.Warn("silence not deleted", "alertmanager", am, "id", id, "status", resp.Status)
				return
			}
			s.log.Info("silence deleted", "alertmanager", am, "id", id)
		})
	}
}

// wait returns when every call has ended, and closes the idle
// connections they left.
func (s *silencer) wait() {
	s.wg.Wait()
	s.client.CloseIdleConnections()
}
