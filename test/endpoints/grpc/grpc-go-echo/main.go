// A grpc-go server for test/endpoints/grpc/h2-grpc-go.test.ts: raw-bytes codec, no generated code.

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type raw struct{}

func (raw) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (raw) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = append([]byte(nil), data...); return nil }
func (raw) String() string                             { return "raw" }

func echo(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	md, _ := metadata.FromIncomingContext(ctx)
	grpc.SetHeader(ctx, metadata.Pairs("x-go-head", "h", "x-go-bin", string([]byte{0, 1, 255})))
	grpc.SetTrailer(ctx, metadata.Pairs("x-go-trail", "t"))
	out := append([]byte("go:"), in...)
	if v := md.Get("x-echo"); len(v) > 0 {
		out = append(out, []byte("|"+v[0])...)
	}
	return &out, nil
}

func fail(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	grpc.SetTrailer(ctx, metadata.Pairs("x-why", "gone"))
	return nil, status.Error(codes.NotFound, "no such shelf")
}

func slow(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		// A status, not ctx.Err() (which grpc-go would send as UNKNOWN): the server's deadline may win the race with the client's.
		if ctx.Err() == context.DeadlineExceeded {
			return nil, status.Error(codes.DeadlineExceeded, "deadline exceeded")
		}
		return nil, status.Error(codes.Canceled, "cancelled")
	case <-time.After(10 * time.Second):
		out := []byte("late")
		return &out, nil
	}
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	server := grpc.NewServer(grpc.CustomCodec(raw{}))
	server.RegisterService(&grpc.ServiceDesc{
		ServiceName: "test.Echo",
		HandlerType: (*interface{})(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Echo", Handler: echo},
			{MethodName: "Fail", Handler: fail},
			{MethodName: "Slow", Handler: slow},
		},
	}, struct{}{})
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	server.Serve(listener)
}
