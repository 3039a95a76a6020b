package org.apache.iceberg.rest;

import java.lang.reflect.Method;
import org.apache.iceberg.util.PropertyUtil;
import org.eclipse.jetty.compression.gzip.GzipCompression;
import org.eclipse.jetty.compression.server.CompressionHandler;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Apache Iceberg's RESTCatalogServer, bound to one address. The server as published listens on
 * every interface (Jetty's Server(port)) and has no authentication; the workbench's stack is
 * loopback only. This starts the same catalog (configured from the CATALOG_* environment, as the
 * server reads it) behind the same servlet and gzip handler, on CATALOG_BIND_HOST (default
 * 127.0.0.1). It lives in the server's package for its package-private adapter and context.
 */
public final class LoopbackCatalogServer {
  private LoopbackCatalogServer() {}

  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("CATALOG_BIND_HOST", "127.0.0.1");
    RESTCatalogServer backend = new RESTCatalogServer();
    Method init = RESTCatalogServer.class.getDeclaredMethod("initializeBackendCatalog");
    init.setAccessible(true);
    RESTCatalogServer.CatalogContext context = (RESTCatalogServer.CatalogContext) init.invoke(backend);

    ServletContextHandler handler = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    handler.addServlet(new ServletHolder(new RESTCatalogServlet(new RESTServerCatalogAdapter(context))), "/*");
    CompressionHandler compression = new CompressionHandler();
    compression.putCompression(new GzipCompression());
    handler.insertHandler(compression);

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(PropertyUtil.propertyAsInt(context.configuration(), RESTCatalogServer.REST_PORT, 8181));
    connector.setReusePort(true);
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
    server.join();
  }
}
