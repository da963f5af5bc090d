public import ArgumentParser
import GlossExport

extension ExportFormat: ExpressibleByArgument {}
