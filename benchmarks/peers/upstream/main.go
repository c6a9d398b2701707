// The peers benchmark's grpc-go upstream: Orders.GetOrder answering a fixed
// ~200-byte order with the requested id. It prints {"port":N} on its first
// line (the harness's protocol) and stops on SIGTERM.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"

	"rosettabench/orderspb"
)

type orders struct{}

func (orders) GetOrder(_ context.Context, request *orderspb.GetOrderRequest) (*orderspb.Order, error) {
	return &orderspb.Order{
		Id:       request.Id,
		Item:     "The Left Hand of Darkness",
		Quantity: 2,
		Status:   "shipped",
		Customer: &orderspb.Customer{Id: "c-42", Name: "Genly Ai"},
		Tags:     []string{"sf", "classic"},
		Total:    "17.90",
	}, nil
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	orderspb.RegisterOrdersServer(server, orders{})
	fmt.Printf("{\"port\":%d}\n", listener.Addr().(*net.TCPAddr).Port)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		server.Stop()
	}()
	if err := server.Serve(listener); err != nil && err != grpc.ErrServerStopped {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
