package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
)

// ConnectionList is every connection of the workspace.
type ConnectionList struct {
	Data []*model.ConnectionStatus `json:"data" doc:"The workspace's connections, in configuration order."`
}

func (a *API) registerConnections() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-connections",
		Method:      http.MethodGet,
		Path:        "/connections",
		Summary:     "List connections with their health",
		Description: "Lists every connection of the workspace with what the hub knows of its state: the last health check " +
			"of its login at the provider, when its newest message was received, the last message the intake refused, " +
			"and, for providers that limit requests, what is left of the budget (per minute and per day) and until when " +
			"the provider blocks the login.",
		Tags:               []string{"Connections"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listConnections)
}

func (a *API) listConnections(ctx context.Context, _ *struct{}) (*body[ConnectionList], error) {
	ws := workspaceFrom(ctx)
	if a.statuses == nil {
		return nil, huma.Error503ServiceUnavailable("this hub does not track its connections' status")
	}
	list, err := a.statuses.Connections(ctx, ws)
	if err != nil {
		return nil, a.storeError(ctx, ws, "reading the connections' status", err)
	}
	out := ConnectionList{Data: make([]*model.ConnectionStatus, 0, len(list))}
	for _, c := range list {
		if c.Workspace == ws { // Defence in depth: never show another workspace's data.
			out.Data = append(out.Data, c)
		}
	}
	return &body[ConnectionList]{Body: out}, nil
}
