"""Everything recordpack draws: HTML templates to PDF, DICOM key images, photos as pages."""
